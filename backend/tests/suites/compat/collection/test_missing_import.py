import no_such_module_for_litmus  # noqa: F401


def test_never_runs():
    pass
