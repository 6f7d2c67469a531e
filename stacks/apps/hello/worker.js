// A runner for the hello app: a long-running process with no port, as queue consumers are.
// It logs a heartbeat so `docker service logs` shows it alive, and stops cleanly on SIGTERM.
const queue = process.argv[process.argv.indexOf('--queue') + 1] || 'default';
console.log(`worker for queue ${queue} started (version ${process.env.APP_VERSION || 'dev'})`);
const beat = setInterval(() => console.log(`worker ${queue}: alive`), 60_000);
process.on('SIGTERM', () => {
  clearInterval(beat);
  process.exit(0);
});
