import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * An HDFS (a NameNode and one DataNode: Hadoop's MiniDFSCluster) and a YARN ResourceManager and
 * one NodeManager (MiniYARNCluster) in this JVM, for tests/cluster/yarn.py. HDFS is the default
 * file system of YARN and of the clients, as on a Hadoop cluster. Arguments: the yarn-site.xml to
 * write once both are up (a core-site.xml with the same settings is written beside it first),
 * then key=value settings. Runs until killed.
 */
public class MiniYarn {
  public static void main(String[] args) {
    try {
      start(args);
      Thread.currentThread().join();
    } catch (Throwable failure) {  // the daemons' threads would keep a half-started JVM alive
      failure.printStackTrace();
      System.exit(1);
    }
  }

  private static void start(String[] args) throws Exception {
    Configuration conf = new YarnConfiguration();
    for (int i = 1; i < args.length; i++) {
      String[] setting = args[i].split("=", 2);
      conf.set(setting[0], setting[1]);
    }
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File("hdfs").getAbsolutePath());
    MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    hdfs.waitActive();
    conf.set("fs.defaultFS", hdfs.getURI().toString());
    MiniYARNCluster cluster = new MiniYARNCluster("cdr", 1, 1, 1);
    cluster.init(conf);
    cluster.start();
    // The clients' copy: MiniDFSCluster maps racks with a test class Spark's Hadoop client lacks.
    Configuration clients = new Configuration(cluster.getConfig());
    clients.set("net.topology.node.switch.mapping.impl", "org.apache.hadoop.net.ScriptBasedMapping");
    Path yarnSite = Path.of(args[0]);
    write(clients, yarnSite.resolveSibling("core-site.xml"));
    write(clients, yarnSite);
  }

  private static void write(Configuration conf, Path target) throws Exception {
    Path written = Path.of(target + ".tmp");
    try (OutputStream out = new FileOutputStream(written.toFile())) {
      conf.writeXml(out);
    }
    Files.move(written, target, StandardCopyOption.ATOMIC_MOVE);  // whole, or not there
  }
}
