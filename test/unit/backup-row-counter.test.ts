import t from 'tap';
import { SqlRowCounter } from '@minicloud/core';

// The row counter reads mariadb-dump's output as it streams by; its counts end up in
// backup.json and are what every restore is checked against, so it must not be fooled by
// anything a row can hold, nor by where the stream happens to be cut into chunks.

function count(sql: string | Buffer, chunk = 0): { tables: Record<string, number>; completed: boolean } {
  const counter = new SqlRowCounter();
  const bytes = Buffer.isBuffer(sql) ? sql : Buffer.from(sql, 'utf8');
  if (chunk <= 0) counter.write(bytes);
  else for (let i = 0; i < bytes.length; i += chunk) counter.write(bytes.subarray(i, i + chunk));
  const result = counter.result();
  return { tables: Object.fromEntries(result.tables), completed: result.completed };
}

/** What mariadb-dump 10.11 wrote for a test database (trimmed), rows with every hard case. */
const REAL_DUMP = `/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.18-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: demo
-- ------------------------------------------------------
/*!40101 SET NAMES utf8mb4 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

--
-- Sequence structure for \`seq1\`
--

DROP SEQUENCE IF EXISTS \`seq1\`;
CREATE SEQUENCE \`seq1\` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle ENGINE=InnoDB;
DO SETVAL(\`seq1\`, 1, 0);

DROP TABLE IF EXISTS \`empty\`;
CREATE TABLE \`empty\` (
  \`id\` int(11) DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
LOCK TABLES \`empty\` WRITE;
/*!40000 ALTER TABLE \`empty\` DISABLE KEYS */;
/*!40000 ALTER TABLE \`empty\` ENABLE KEYS */;
UNLOCK TABLES;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=\`root\`@\`localhost\`*/ /*!50003 TRIGGER trg BEFORE INSERT ON empty FOR EACH ROW BEGIN INSERT INTO \`we;ird\`\`name\` VALUES (99,'x',NULL); INSERT INTO \`we;ird\`\`name\` VALUES (98,'y',NULL); END 
*/;;
DELIMITER ;

--
-- Temporary table structure for view \`v\`
--

DROP TABLE IF EXISTS \`v\`;
/*!50001 DROP VIEW IF EXISTS \`v\`*/;
/*!50001 CREATE VIEW \`v\` AS SELECT
 NULL AS \`id\` */;

DROP TABLE IF EXISTS \`we;ird\`\`name\`;
CREATE TABLE \`we;ird\`\`name\` (
  \`id\` int(11) NOT NULL,
  \`s\` text DEFAULT NULL,
  \`b\` blob DEFAULT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

LOCK TABLES \`we;ird\`\`name\` WRITE;
/*!40000 ALTER TABLE \`we;ird\`\`name\` DISABLE KEYS */;
INSERT INTO \`we;ird\`\`name\` VALUES
(1,'it\\'s (a) test; \\\\ done','\\0\u00ff\\'()('),
(2,'line\\nbreak),(',NULL);
/*!40000 ALTER TABLE \`we;ird\`\`name\` ENABLE KEYS */;
UNLOCK TABLES;

DELIMITER ;;
CREATE DEFINER=\`root\`@\`localhost\` PROCEDURE \`p\`()
BEGIN INSERT INTO empty VALUES (1); INSERT INTO \`empty\` VALUES (2); END
;;
DELIMITER ;

/*!50001 VIEW \`v\` AS select \`we;ird\`\`name\`.\`id\` AS \`id\` from \`we;ird\`\`name\` */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2026-11-22  4:37:07
`;

t.test('a real mariadb-dump: tables, rows, empty tables, no rows from triggers, routines or views', async (t) => {
  const expected = { tables: { empty: 0, 'we;ird`name': 2 }, completed: true };
  t.same(count(REAL_DUMP), expected);
  // Every chunk boundary: in a string, in an escape, in a delimiter, in a comment opener.
  for (const size of [1, 2, 3, 5, 7, 13, 64]) t.same(count(REAL_DUMP, size), expected, `in chunks of ${size} bytes`);
});

t.test('strings that look like syntax', async (t) => {
  const rows = [
    `'a),(b'`, // tuple separators inside a string
    `'it\\'s'`, // escaped quote
    `'it''s'`, // doubled quote
    `'back\\\\'`, // a string ending in an escaped backslash
    `'\\\\\\''`, // backslash, then an escaped quote
    `'semi;colon'`,
    `'-- not a comment'`,
    `'/* not a comment */'`,
    `'#hash'`,
    `"double \\" (quoted)"`,
    `'line\\nbreak\\r\\n'`,
    `'\`backtick\`'`,
    `'DELIMITER ;;'`,
    `'(((('`,
    `'))))'`,
    `_binary 'bin'`,
    `0xDEADBEEF`,
    `-1.5e-3`,
    `NULL`,
  ];
  const sql = `CREATE TABLE \`t\` (\`v\` text);\nINSERT INTO \`t\` VALUES ${rows.map((r, i) => `(${i},${r})`).join(',')};\nINSERT INTO \`t\` VALUES (99,'x');\n`;
  t.same(count(sql).tables, { t: rows.length + 1 });
  t.same(count(sql, 1).tables, { t: rows.length + 1 }, 'byte by byte');
});

t.test('binary bytes in strings (as mariadb-dump writes BLOBs) never confuse it', async (t) => {
  const blob = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) blob[i] = i;
  // mariadb-dump escapes NUL, \n, \r, \\, ', " and ^Z; every other byte is written raw.
  const escaped = Buffer.concat(
    [...blob].map((b) => {
      const map: Record<number, string> = {
        0: '\\0',
        10: '\\n',
        13: '\\r',
        92: '\\\\',
        39: "\\'",
        34: '\\"',
        26: '\\Z',
      };
      return map[b] !== undefined ? Buffer.from(map[b]!, 'latin1') : Buffer.from([b]);
    }),
  );
  const sql = Buffer.concat([
    Buffer.from("CREATE TABLE `blobs` (`b` blob);\nINSERT INTO `blobs` VALUES (1,'"),
    escaped,
    Buffer.from("'),(2,'"),
    escaped,
    Buffer.from("');\n-- Dump completed on 2025-01-01\n"),
  ]);
  t.same(count(sql), { tables: { blobs: 2 }, completed: true });
  t.same(count(sql, 3), { tables: { blobs: 2 }, completed: true });
});

t.test('names, column lists, comments and delimiters', async (t) => {
  const sql = [
    '/*!40101 SET NAMES utf8mb4 */;',
    'CREATE TABLE `ünïcode 表` (a int);',
    'INSERT INTO `ünïcode 表` VALUES (1),(2),(3);',
    'CREATE TABLE IF NOT EXISTS `a``b` (a int);',
    "INSERT INTO `a``b` (`x)`, `y`) VALUES (1,'('),(2,')');",
    '-- a comment with INSERT INTO `t` VALUES (1);',
    '/* INSERT INTO `t` VALUES (1); */',
    'insert into `lower` values (1);',
    'DELIMITER $$',
    'CREATE PROCEDURE p() BEGIN INSERT INTO `x` VALUES (1); INSERT INTO `x` VALUES (2); END$$',
    'DELIMITER ;',
    'INSERT INTO `after` VALUES (1),(2);',
    'INSERT INTO `a``b` VALUES (3,NULL);',
  ].join('\n');
  t.same(count(sql).tables, { 'ünïcode 表': 3, 'a`b': 3, lower: 1, after: 2 });
  t.same(count(sql, 1).tables, { 'ünïcode 表': 3, 'a`b': 3, lower: 1, after: 2 });
});

t.test('a dump cut short is not complete', async (t) => {
  const cut = REAL_DUMP.slice(0, REAL_DUMP.indexOf('-- Dump completed'));
  t.equal(count(cut).completed, false);
  t.equal(count('').completed, false);
});
