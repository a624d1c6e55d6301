"""The quarterly batch: notebooks run through Papermill in kernels of the project's environment,
exported to offline HTML, and published as a new version that a failed run never replaces.
Imports every layer below it; only `cli` imports it."""
