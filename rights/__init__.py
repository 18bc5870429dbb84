"""The rights of the child and the parent (AVG art. 15-21): access, correction, restriction,
objection."""
