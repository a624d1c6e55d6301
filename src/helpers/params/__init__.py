"""What a run is asked to do: the parameter file read and validated (`config`), the column facts it
declares (`schema`), the words a sentence uses for the data's own labels (`wording`, `outcomes`) and
the run plan of which notebook needs what (`plan`). Imports `core` only."""
