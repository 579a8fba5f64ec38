-- sqlite.sql: a fixed, deterministic workload for a real-world allocator
-- user: `sqlite3 :memory: < tests/progs/sqlite.sql`. Builds 2000 rows with a
-- recursive CTE, indexes them, queries and aggregates; the output is fixed.
.bail on
.headers off
.mode list
PRAGMA cache_size = 2000;

CREATE TABLE item (
	id     INTEGER PRIMARY KEY,
	name   TEXT NOT NULL,
	bucket INTEGER NOT NULL,
	price  INTEGER NOT NULL
);

WITH RECURSIVE seq(n) AS (
	SELECT 1
	UNION ALL
	SELECT n + 1 FROM seq WHERE n < 2000
)
INSERT INTO item (id, name, bucket, price)
SELECT n, 'item-' || printf('%05d', (n * 7919) % 100003), n % 17, (n * 37) % 1000
FROM seq;

CREATE INDEX item_bucket ON item (bucket, price);
CREATE INDEX item_name ON item (name);

SELECT 'rows', count(*) FROM item;
SELECT 'sum', sum(price), min(price), max(price) FROM item;
SELECT 'bucket', bucket, count(*), sum(price) FROM item GROUP BY bucket ORDER BY bucket LIMIT 5;
SELECT 'top', id, name, price FROM item WHERE bucket = 3 ORDER BY price DESC, id LIMIT 3;
SELECT 'like', count(*) FROM item WHERE name LIKE 'item-0%';
SELECT 'join', count(*) FROM item a JOIN item b ON a.bucket = b.bucket AND a.price % 100 = b.price % 100 WHERE a.id < b.id;

UPDATE item SET price = price + 1 WHERE bucket = 0;
DELETE FROM item WHERE id % 10 = 0;
SELECT 'after', count(*), sum(price) FROM item;
