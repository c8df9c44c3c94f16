def test_with_subtests(subtests):
    for i in range(5):
        with subtests.test(msg="each", i=i):
            print(f"subtest {i}")
            assert i != 3


def test_plain():
    pass
