"""The offline demo (`redline demo`): a loopback site in the seed pages' real templates, and the
steps it walks through. Off the product path: only the demo command imports it."""
