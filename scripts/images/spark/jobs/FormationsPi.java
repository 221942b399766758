// A Monte Carlo estimate of pi on the cluster, the job the image is proven with. Spark's own
// SparkPi lives in spark-examples, which the Spark project does not publish to Maven Central.
// Usage: spark-submit --class FormationsPi /opt/spark/examples/jars/formations-pi.jar [slices]
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

public final class FormationsPi {
  public static void main(String[] args) {
    int slices = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int n = 100_000 * slices;
    try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("Formations Pi"))) {
      List<Integer> seeds = new ArrayList<>(n);
      for (int i = 0; i < n; i++) seeds.add(i);
      long inside = sc.parallelize(seeds, slices).filter(i -> {
        double x = Math.random() * 2 - 1;
        double y = Math.random() * 2 - 1;
        return x * x + y * y <= 1;
      }).count();
      List<String> executors = sc.parallelize(seeds.subList(0, slices), slices)
          .map(i -> java.net.InetAddress.getLocalHost().getHostName()).distinct().collect();
      System.out.println("Pi is roughly " + 4.0 * inside / n);
      System.out.println("Executors ran on " + String.join(",", executors.stream().sorted().toList()));
    }
  }
}
