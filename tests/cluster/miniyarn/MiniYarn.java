import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A YARN ResourceManager and one NodeManager in this JVM (Hadoop's MiniYARNCluster), for
 * tests/cluster/yarn.py. Arguments: the yarn-site.xml to write once the cluster is up, then
 * key=value settings. Runs until killed.
 */
public class MiniYarn {
  public static void main(String[] args) throws Exception {
    Configuration conf = new YarnConfiguration();
    for (int i = 1; i < args.length; i++) {
      String[] setting = args[i].split("=", 2);
      conf.set(setting[0], setting[1]);
    }
    MiniYARNCluster cluster = new MiniYARNCluster("cdr", 1, 1, 1);
    cluster.init(conf);
    cluster.start();
    Path target = Path.of(args[0]);
    Path written = Path.of(args[0] + ".tmp");
    try (OutputStream out = new FileOutputStream(written.toFile())) {
      cluster.getConfig().writeXml(out);
    }
    Files.move(written, target, StandardCopyOption.ATOMIC_MOVE);  // whole, or not there
    Thread.currentThread().join();
  }
}
