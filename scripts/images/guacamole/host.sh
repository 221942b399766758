# On the host: the gateway web application, built from webapp/ against Debian's servlet API
# (in the image) and guacamole-common from Maven Central; guacamole-common-js unpacked beside
# the page. The POM is copied out first (the recipe folder's bytes are the image's tag).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
app=$ROOTFS/opt/guacamole/tomcat/webapps/guacamole
plugin=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
cp "$RECIPE/webapp/pom.xml" "$work/pom.xml"
mkdir -p "$app/WEB-INF/lib" "$app/WEB-INF/classes"
mvn -B -q -f "$work/pom.xml" -Dmaven.repo.local="$M2" "$plugin:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$app/WEB-INF/lib"
mvn -B -q -f "$work/pom.xml" -Dmaven.repo.local="$M2" "$plugin:copy" -Dartifact=org.apache.guacamole:guacamole-common-js:1.5.5:zip -DoutputDirectory="$work"
(cd "$app" && jar xf "$work/guacamole-common-js-1.5.5.zip" guacamole-common-js/all.min.js)
servlet=$(ls "$ROOTFS"/usr/share/java/*servlet-api*.jar | head -1)
javac --release 11 -nowarn -d "$app/WEB-INF/classes" -cp "$servlet:$app/WEB-INF/lib/*" $(find "$RECIPE/webapp/src" -name '*.java')
cp -r "$RECIPE/webapp/web/." "$app/"
echo "gateway: $(ls "$app/WEB-INF/lib" | tr '\n' ' ')"
