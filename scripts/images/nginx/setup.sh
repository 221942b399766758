# Only the uploaded site: Debian's default site listens on 80, which a container without
# NET_BIND_SERVICE cannot bind. Logs go to the container's output.
rm -f /etc/nginx/sites-enabled/default
ln -sf /dev/stdout /var/log/nginx/access.log
ln -sf /dev/stderr /var/log/nginx/error.log
