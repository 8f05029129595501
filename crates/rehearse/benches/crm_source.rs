//! Generated legacy CRM customers in a SQLite file, the source of the
//! rehearsal benchmark and of the interrupted-rehearsal test: the same
//! messy rows as the PostgreSQL load benchmark (crates/backend-sql/benches),
//! deterministic functions of the row number.

use rusqlite::Connection;
use std::path::Path;

/// Writes `legacy.customers` (`rows` rows) and `legacy.status_codes` as
/// `crm_accounts.cutover` declares them into a new SQLite file. About 1%
/// of status flags are unknown (quarantined); a tenth of birth dates are
/// missing, a tenth malformed, a tenth impossible; a third of company
/// names are blank and a ninth longer than the target's 40 characters;
/// names carry stray whitespace.
pub fn write(path: &Path, rows: u64) -> rusqlite::Result<()> {
    let _ = std::fs::remove_file(path);
    let conn = Connection::open(path)?;
    conn.execute_batch(&format!(
        r#"
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
CREATE TABLE customers (
  cust_id int PRIMARY KEY, first_name varchar(50) NOT NULL, last_name varchar(50) NOT NULL,
  company_name varchar(100), email varchar(255), phone varchar(30), dob text,
  status_flag char(1) NOT NULL, created_date timestamp);
CREATE TABLE status_codes (code char(1) PRIMARY KEY, name varchar(16) NOT NULL);
INSERT INTO status_codes VALUES ('A', 'Active'), ('I', 'Inactive'), ('P', 'Pending');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
INSERT INTO customers
SELECT i,
       CASE WHEN i % 7 = 0 THEN '  First' || i || ' ' ELSE 'First' || i END,
       'Last' || i || CASE WHEN i % 5 = 0 THEN char(9) ELSE '' END,
       CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN '   '
            ELSE ' Company ' || printf('%08x', i * 2654435761 % 4294967296)
                 || CASE WHEN i % 9 = 2 THEN ' Holdings International Limited' ELSE '' END || ' ' END,
       ' User' || i || '@Example.COM ',
       CASE WHEN i % 4 = 0 THEN '' ELSE '+1 555 ' || printf('%04d', i % 10000) END,
       CASE i % 10 WHEN 0 THEN NULL WHEN 1 THEN 'n/a' WHEN 2 THEN '02/30/1999'
            ELSE printf('%02d/%02d/%d', 1 + i * 7 % 12, 1 + i * 13 % 28, 1940 + i * 17 % 61) END,
       CASE WHEN i % 100 = 0 THEN 'X' WHEN i % 3 = 0 THEN 'a' WHEN i % 3 = 1 THEN 'I' ELSE 'P' END,
       datetime('2015-01-01', '+' || i || ' minutes')
  FROM n;
COMMIT;
"#
    ))
}
