# The desktop users: `lab` (VNC, SSH) and `abc` (RDP, the linuxserver images' user the adapter's
# user mapping names). No key is baked in: the TLS, RDP and SSH host keys are made at first start.
useradd --uid 1000 --create-home --shell /bin/bash lab
useradd --uid 1001 --create-home --shell /bin/bash abc
rm -f /etc/ssh/ssh_host_* /etc/xrdp/cert.pem /etc/xrdp/key.pem /etc/xrdp/rsakeys.ini /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem
# No login records in a container (pam_loginuid needs CAP_AUDIT_CONTROL): optional, not required.
sed -i 's/^session\s\+required\s\+pam_loginuid.so/session optional pam_loginuid.so/' /etc/pam.d/sshd
# A terminal in every session.
echo 'xterm -geometry 100x30+40+40 &' >>/etc/xdg/openbox/autostart
chmod 755 /usr/local/sbin/formations-desktop
mkdir -p /run/sshd /var/run/xrdp
