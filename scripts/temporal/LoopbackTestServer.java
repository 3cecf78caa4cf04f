import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.temporal.internal.testservice.TestServicesStarter;
import java.net.InetSocketAddress;

/**
 * Temporal's test server, as io.temporal.testserver.TestServer starts it without time skipping
 * (timers fire in real time), but listening on 127.0.0.1 only. Its state is in memory.
 * Usage: java -cp 'lib/*' LoopbackTestServer.java PORT
 */
public final class LoopbackTestServer {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    // lockTimeSkipping = true: the server's clock is the wall clock, as TestServer's default.
    TestServicesStarter services = new TestServicesStarter(true, 0L);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port));
    builder.addService(new HealthStatusManager().getHealthService());
    for (BindableService service : services.getServices()) builder.addService(service);
    Server server = builder.build().start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      services.close();
    }));
    System.out.println("temporal test server listening on 127.0.0.1:" + port);
    server.awaitTermination();
  }
}
