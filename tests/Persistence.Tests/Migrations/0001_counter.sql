-- Not idempotent on purpose: applying it twice fails, so a double application cannot go unnoticed.
CREATE TABLE counter (id int PRIMARY KEY, value int NOT NULL);
INSERT INTO counter VALUES (1, 0);
