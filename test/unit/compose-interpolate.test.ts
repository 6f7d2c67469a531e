import t from 'tap';
import {
  escapeInterpolation,
  formatDetail,
  interpolate,
  isMinicloudError,
  parseEnvFile,
  type InterpolationEnv,
} from '@minicloud/core';

/** Interpolates one string value and returns it. */
function sub(text: string, env: InterpolationEnv = {}): unknown {
  return (interpolate({ v: text }, env) as { v: unknown }).v;
}

/** The printed errors of a call, or [] when it succeeds. */
function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
    return [];
  } catch (error) {
    if (!isMinicloudError(error)) throw error;
    t.equal(error.code, 'MC_COMPOSE_INVALID');
    return error.details.map(formatDetail);
  }
}

const ENV = { TAG: '1.2', EMPTY: '', NAME: 'web', A: 'a', B: 'b' };

t.test('substitution forms, as docker reads them', async (t) => {
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['$TAG', '1.2'],
    ['${TAG}', '1.2'],
    ['nginx:$TAG', 'nginx:1.2'],
    ['nginx:${TAG}-alpine', 'nginx:1.2-alpine'],
    ['$TAG-alpine', '1.2-alpine'], // unbraced: the name only, then text
    ['$NAME.local', 'web.local'],
    ['${A}${B}$A$B', 'abab'],
    ['$UNSET', ''],
    ['${UNSET}', ''],
    ['x${UNSET}y', 'xy'],
    ['${UNSET:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${TAG:-dflt}', '1.2'],
    ['${UNSET-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${TAG-dflt}', '1.2'],
    ['${UNSET:-}', ''],
    ['${UNSET:-a b:c-d}', 'a b:c-d'],
    ['${UNSET:-${TAG}}', '1.2'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['${UNSET:-$$}', '$'],
    ['${UNSET:-x}}', 'x}'],
    ['${EMPTY?unused}', ''],
    ['${TAG:?unused}', '1.2'],
    ['$$', '$'],
    ['$$TAG', '$TAG'],
    ['$${TAG}', '${TAG}'],
    ['$$$TAG', '$1.2'],
    ['cost: $$5 and $${not}', 'cost: $5 and ${not}'],
    ['${lower_case1}', ''],
    ['{TAG}', '{TAG}'],
  ];
  for (const [input, expected] of cases) t.equal(sub(input, ENV), expected, input);
});

t.test('a required variable that is missing names the field', async (t) => {
  const doc = { services: { web: { image: 'nginx:${TAG:?err}', command: ['run', '${X?set X}'] } } };
  t.same(
    errorsOf(() => interpolate(doc, {})),
    [
      'services.web.image: required variable TAG is missing: err',
      'services.web.command[1]: required variable X is missing: set X',
    ],
  );
  t.same(
    errorsOf(() => interpolate(doc, { TAG: '', X: '' })),
    ['services.web.image: required variable TAG is missing: err'],
    ':? refuses an empty value, ? accepts it',
  );
  t.same(
    errorsOf(() => interpolate({ a: '${X:?}' }, {})),
    ['a: required variable X is missing'],
  );
  t.same(
    errorsOf(() => interpolate({ a: '${X:?need ${Y:-y}}' }, {})),
    ['a: required variable X is missing: need y'],
  );
  t.same(
    errorsOf(() => interpolate({ a: '${X:-${Y:?inner}}' }, { X: 'set' })),
    [],
    'an unused default is not read',
  );
});

t.test('a lone $ is an error that suggests $$', async (t) => {
  for (const text of ['costs $5', '$', 'a $ b', '${}', '${TAG', '${1A}', '${A+x}', '${A:+x}', '$-', '${A B}']) {
    const errors = errorsOf(() => interpolate({ services: { web: { image: text } } }, ENV));
    t.equal(errors.length, 1, text);
    t.match(errors[0], /^services\.web\.image: invalid interpolation format .*escape any \$ with another \$/, text);
  }
});

t.test('every string is substituted, keys and other scalars are not', async (t) => {
  const doc = {
    $TAG: '$TAG',
    list: ['$A', 1, true, null, { '${B}': '${B}' }],
    n: 3,
    b: false,
    z: null,
  };
  t.same(interpolate(doc, ENV), { $TAG: '1.2', list: ['a', 1, true, null, { '${B}': 'b' }], n: 3, b: false, z: null });
  t.same(doc.list[0], '$A', 'the input is not modified');
  t.equal(sub('$constructor', ENV), '', 'only the env object itself is read, not its prototype');
  t.equal(sub('$toString'), '');
  const proto = interpolate(JSON.parse('{"__proto__": {"polluted": "$A"}}'), ENV) as Record<string, unknown>;
  t.same(Object.keys(proto), ['__proto__'], 'a key named __proto__ stays a key');
  t.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

t.test('reports every interpolation error at once', async (t) => {
  const errors = errorsOf(() => interpolate({ a: '$', b: ['${X:?x}'], c: { d: '${Y?y}' } }, {}));
  t.equal(errors.length, 3);
});

t.test('numeric and boolean fields are converted after substitution, as docker does', async (t) => {
  const doc = {
    services: {
      web: {
        deploy: { replicas: '${N}', update_config: { max_failure_ratio: '${R}' } },
        read_only: '${RO}',
        ports: [{ target: '${P}', published: '80' }],
        healthcheck: { retries: '$N', disable: '${NO}' },
        secrets: [{ source: 's', mode: '${MODE}' }],
        environment: { N: '${N}' },
      },
    },
    networks: { n: { external: '${YES}' } },
  };
  const out = interpolate(doc, { N: '3', R: '0.5', RO: 'yes', P: '8080', NO: 'off', MODE: '288', YES: 'True' });
  t.same(
    out,
    {
      services: {
        web: {
          deploy: { replicas: 3, update_config: { max_failure_ratio: 0.5 } },
          read_only: true,
          ports: [{ target: 8080, published: '80' }],
          healthcheck: { retries: 3, disable: false },
          secrets: [{ source: 's', mode: 288 }],
          environment: { N: '3' },
        },
      },
      networks: { n: { external: true } },
    },
    'a value without a variable stays as written (published: "80"), for the schema to judge',
  );
  t.same(
    errorsOf(() => interpolate({ services: { web: { deploy: { replicas: '${N}' } } } }, { N: 'two' })),
    ['services.web.deploy.replicas: must be an integer after interpolation, got "two"'],
  );
  t.same(
    errorsOf(() => interpolate({ services: { web: { tty: '${T}' } } }, { T: 'maybe' })),
    ['services.web.tty: must be a boolean (true, false, yes, no, on, off) after interpolation, got "maybe"'],
  );
});

t.test('round trip: what the compiler escapes, interpolation gives back exactly', async (t) => {
  const samples = [
    '',
    '$',
    '$$',
    'costs $5',
    '$HOME and ${HOME} and ${HOME:-x} and ${HOME:?e}',
    'a "quoted" \'single\' `tick` \\ back',
    'multi\nline\r\nvalue\t',
    '$$$ ${ } $( ) ${{}}',
    'ünïcödé $€ 🚀',
  ];
  for (const s of samples) {
    t.equal(sub(escapeInterpolation(s), { HOME: '/root', e: 'x' }), s, JSON.stringify(s));
  }
});

t.test('env files: the docker CLI format, not a shell', async (t) => {
  const text = [
    '\uFEFF# a comment',
    'PLAIN=value',
    '',
    '   INDENTED=kept',
    'QUOTED="not stripped"',
    "SINGLE='also kept'",
    'SPACES=  around  ',
    'EQUALS=a=b=c',
    'HASH=value # not a comment',
    'EMPTY=',
    '\t# indented comment',
    'FROM_HOST',
    'NOT_ON_HOST',
    'CRLF=line\r',
    'DOLLAR=$HOME ${X}',
    'PLAIN=second wins',
    '__proto__=safe',
  ].join('\n');
  const vars = parseEnvFile(`${text}\n`, 'app.env', (name) => (name === 'FROM_HOST' ? 'host value' : undefined));
  t.same(vars, {
    PLAIN: 'second wins',
    INDENTED: 'kept',
    QUOTED: '"not stripped"',
    SINGLE: "'also kept'",
    SPACES: '  around  ',
    EQUALS: 'a=b=c',
    HASH: 'value # not a comment',
    EMPTY: '',
    FROM_HOST: 'host value',
    CRLF: 'line',
    DOLLAR: '$HOME ${X}',
    ['__proto__']: 'safe',
  });
  t.ok(Object.prototype.hasOwnProperty.call(vars, '__proto__'), '__proto__ is an own variable');
  t.same(parseEnvFile('', 'empty.env'), {});
  t.same(parseEnvFile('ONLY', 'x.env'), {}, 'a bare name with no lookup is left out');
});

t.test('env files: bad names are errors naming the file and line, all at once', async (t) => {
  t.same(
    errorsOf(() => parseEnvFile('OK=1\nBAD NAME=x\n=novalue\n\tTAB\tNAME\nOK2=2', 'secrets/app.env')),
    [
      'secrets/app.env:2: variable name "BAD NAME" contains whitespace',
      'secrets/app.env:3: no variable name before "=" in "=novalue"',
      'secrets/app.env:4: variable name "TAB\\tNAME" contains whitespace',
    ],
  );
});
