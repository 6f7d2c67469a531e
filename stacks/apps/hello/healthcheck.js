// Healthcheck client for images without curl or wget:
//   node /app/healthcheck.js [URL]   (default http://127.0.0.1:$PORT/health)
// Exits 0 on a 2xx answer within 3 s, 1 otherwise.
import http from 'node:http';

const url = process.argv[2] || `http://127.0.0.1:${process.env.PORT || 80}/health`;
const req = http.get(url, { timeout: 3000 }, (res) => {
  res.resume();
  process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error(`timeout after 3 s: ${url}`)));
req.on('error', (err) => {
  console.error(err.message);
  process.exit(1);
});
