"""Its sidecar uses YAML outside the subset Litmus Live reads: every test here fails, saying where."""


def test_one():
    pass


def test_two():
    pass
