# Sourced by the test scripts: a scratch folder for the test process's servers
# (PostgreSQL clusters) and temporary files, swept when the tests end however they end,
# so that a crashed test process leaves no server running and no file behind it.
CRITFIX_TEST_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/critfix-test.XXXXXX")
chmod 755 "$CRITFIX_TEST_SCRATCH"
export CRITFIX_TEST_SCRATCH
# Every temporary file and folder of the tests (NSTemporaryDirectory, Python's tempfile)
# goes in there too, and goes with it.
export TMPDIR="$CRITFIX_TEST_SCRATCH"
sweep_test_scratch() {
    for cluster in "$CRITFIX_TEST_SCRATCH"/critfix-postgres-*; do
        [ -d "$cluster" ] && Scripts/postgres-scratch remove "$cluster"
    done
    rm -rf "$CRITFIX_TEST_SCRATCH"
}
trap sweep_test_scratch EXIT
