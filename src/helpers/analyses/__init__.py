"""One module per analysis step, the figures the notebooks show: explore, filters and banner
crosstabs, segments (with the latent-class model and segment names), the typing tool and ICP
scorecard (`leads`), cohorts, usage and value, the run's measure ledger (`metrics`), personas and the
quarter-on-quarter comparison. Imports `core`, `params` and `data`, and within itself only downwards."""
