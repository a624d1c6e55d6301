"""How figures reach a reader: charts (`plots`) and the frame, contents and glossary of each
offline HTML page (`pages`). Imports the layers below it; computes no figure of its own."""
