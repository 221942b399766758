# On the host: Spark's jars and the examples jar from Maven Central, through a Maven local
# repository kept in the image cache ($M2). The POM is copied out first: Maven writes beside it,
# and the recipe folder's bytes are the image's tag.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$RECIPE/pom.xml" "$work/pom.xml"
plugin=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
mvn -B -q -f "$work/pom.xml" -Dmaven.repo.local="$M2" "$plugin:copy-dependencies" \
  -DincludeScope=runtime -DoutputDirectory="$ROOTFS/opt/spark/jars"
# The job the image is proven with (Spark does not publish its examples jar): compiled here
# for Java 17 against the jars just fetched.
mkdir -p "$work/classes" "$ROOTFS/opt/spark/examples/jars"
javac --release 17 -nowarn -d "$work/classes" -cp "$ROOTFS/opt/spark/jars/*" "$RECIPE/jobs/FormationsPi.java"
jar --create --file "$ROOTFS/opt/spark/examples/jars/formations-pi.jar" -C "$work/classes" .
echo "spark: $(ls "$ROOTFS/opt/spark/jars" | wc -l) jars"
