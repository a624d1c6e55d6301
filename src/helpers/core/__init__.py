"""The ground every other layer stands on: the user-facing error, number and name formats, the
privacy rules (small cells hidden, personal data never shown) and the filter expression language.
Its modules import nothing from the rest of `helpers`."""
