"""Pure domain logic: dataclasses, errors, the run-filter language. No Qt, no SQL."""
