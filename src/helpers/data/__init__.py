"""The data as a run sees it: files read (`readers`), the engine layer that does the heavy work over
orders and events (`engine`, Ibis over DuckDB or Spark), derived fields, the usage log, the checks
that stop a run with one message (`checks` for people, `order_checks` for orders; each returns what
it found and changes nothing it reads), the loaded and validated dataset with personal data dropped
(`dataset`), and open answers in themes (`tokens`, the two-language tokeniser; `text`).
Imports `core` and `params`."""
