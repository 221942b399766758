# The spark user of the apache/spark image (uid 185), owning the work and log folders.
groupadd --system --gid 185 spark
useradd --system --uid 185 --gid 185 --home-dir /opt/spark --no-create-home --shell /bin/bash spark
mkdir -p /opt/spark/work-dir /opt/spark/logs /opt/spark/conf
chown -R 185:185 /opt/spark/work-dir /opt/spark/logs
chmod 755 /opt/spark/bin/*
