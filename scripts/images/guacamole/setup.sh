# The guacamole user (uid 1001, as in the guacamole/guacamole image) owns Tomcat's writable
# folders; the web application and configuration stay root's.
groupadd --system --gid 1001 guacamole
useradd --system --uid 1001 --gid 1001 --home-dir /home/guacamole --create-home --shell /usr/sbin/nologin guacamole
base=/opt/guacamole/tomcat
mkdir -p $base/logs $base/temp $base/work $base/conf/Catalina/localhost
chown -R 1001:1001 $base/logs $base/temp $base/work $base/conf/Catalina
chmod 755 /opt/guacamole/bin/start.sh
test -x /usr/share/tomcat9/bin/catalina.sh
test -x /usr/sbin/guacd
