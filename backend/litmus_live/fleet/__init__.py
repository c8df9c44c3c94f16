"""A fleet: many nodes on one Redis. Stations run tests, every node serves viewers of any run."""
