"""`aidis setup`: one module per agent's configuration format. Pure read-merge-write with a backup;
no database. See docs/agents.md."""
