#!/bin/sh
# Starts the gateway web application (Tomcat 9, foreground) on 8080, as the guacamole/guacamole
# image's start.sh does: $GUACAMOLE_HOME holds user-mapping.xml, GUACD_HOSTNAME/GUACD_PORT say
# where guacd listens.
set -eu
: "${GUACAMOLE_HOME:?GUACAMOLE_HOME names the folder with user-mapping.xml}"
if [ ! -r "$GUACAMOLE_HOME/user-mapping.xml" ]; then
  echo "start.sh: no readable $GUACAMOLE_HOME/user-mapping.xml" >&2
  exit 1
fi
export CATALINA_HOME=/usr/share/tomcat9 CATALINA_BASE=/opt/guacamole/tomcat
export CATALINA_TMPDIR=$CATALINA_BASE/temp
export JAVA_OPTS="${JAVA_OPTS:--Xmx256m} -Djava.security.egd=file:/dev/./urandom"
exec /usr/share/tomcat9/bin/catalina.sh run
