"""Getting started: guessing what a new file's columns are (`facts`, `roles`, `infer`) and which
sections it supports (`sections`), writing the parameter file `workbook init` proposes
(`yaml_lines`, `draft_sections`, `draft`), and the two demo brands' data writers (`demo` with
`demo_answers`, `demo_saas`). Imports `core`, `params` and `data`; no analysis depends on it."""
