# Sourced by the test scripts: a scratch folder for the test process's servers
# (PostgreSQL clusters), swept when the tests end however they end, so that a crashed
# test process leaves no server running behind it.
CRITFIX_TEST_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/critfix-test.XXXXXX")
chmod 755 "$CRITFIX_TEST_SCRATCH"
export CRITFIX_TEST_SCRATCH
sweep_test_scratch() {
    for cluster in "$CRITFIX_TEST_SCRATCH"/critfix-postgres-*; do
        [ -d "$cluster" ] && Scripts/postgres-scratch remove "$cluster"
    done
    rm -rf "$CRITFIX_TEST_SCRATCH"
}
trap sweep_test_scratch EXIT
