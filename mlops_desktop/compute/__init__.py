"""Where runs execute: the local executor with GPU leases, SSH hosts, Slurm. No Qt."""
