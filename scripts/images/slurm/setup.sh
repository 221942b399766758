# Inside the image: the packages made the munge and slurm users; the daemons' directories are
# made at start by the adapter's script. Debian's unit-file defaults are not used (no systemd).
id munge >/dev/null
id slurm >/dev/null
rm -f /etc/munge/munge.key # the session's key is installed at start; never one baked in
