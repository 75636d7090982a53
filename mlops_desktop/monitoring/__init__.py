"""Hardware samplers, the remote agent's app side, history, run mapping. No Qt."""
