"""The data as a run sees it: files read (`readers`), the engine layer that does the heavy work over
orders and events (`engine`, Ibis over DuckDB or Spark), derived fields, the usage log, the loaded and
validated dataset with personal data dropped (`dataset`) and free text prepared for themes (`text`).
Imports `core` and `params`."""
