"""Getting started: guessing what a new file's columns are (`infer`), writing the parameter file
`workbook init` proposes (`draft`) and the two demo brands' data writers (`demo`, `demo_saas`).
Imports `core`, `params` and `data`; no analysis depends on it."""
