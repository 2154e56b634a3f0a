"""Pure text work: HTML -> plain text per site profile (normalize, profiles), word-level diffs
(diff), trivial vs substantive (classify). Values in, values out: no network, disk or Prefect."""
