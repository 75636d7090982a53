"""The Jobs pane: launched runs on local GPUs, SSH hosts and Slurm, live."""
