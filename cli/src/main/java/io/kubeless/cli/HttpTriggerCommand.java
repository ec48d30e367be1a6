package io.kubeless.cli;

import io.kubeless.api.v1beta1.HTTPTrigger;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kubeless trigger http create|update|delete|list}. */
@Command(
    name = "http",
    description = "http trigger specific operations",
    mixinStandardHelpOptions = true,
    subcommands = {
      HttpTriggerCommand.Create.class,
      HttpTriggerCommand.Update.class,
      HttpTriggerCommand.Delete.class,
      HttpTriggerCommand.ListHttp.class
    })
final class HttpTriggerCommand implements Callable<Integer> {

  /** Kubeless's three Ingress controllers, then this project's Gateway API and built-in router. */
  static final List<String> GATEWAYS =
      List.of("nginx", "traefik", "kong", "gateway-api", "builtin");

  static final Triggers.Kind<HTTPTrigger> KIND =
      new Triggers.Kind<>(
          HTTPTrigger.class,
          "HTTP trigger",
          HTTPTrigger::new,
          List.of("NAME", "NAMESPACE", "FUNCTION NAME"),
          t -> Triggers.row(t, t.getSpec().getFunctionName()));

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  abstract static class Write extends Triggers.Write<HTTPTrigger> {

    @Option(
        names = "--function-name",
        description = "Name of the function to be associated with trigger")
    String functionName;

    @Option(names = "--path", description = "Ingress path for the function")
    String path;

    @Option(names = "--hostname", description = "Specify a valid hostname for the function")
    String hostname;

    @Option(
        names = "--enableTLSAcme",
        description = "If true, routing rule will be configured for use with kube-lego")
    Boolean enableTlsAcme;

    @Option(
        names = "--basic-auth-secret",
        description = "Specify an existing secret name for basic authentication")
    String basicAuthSecret;

    @Option(
        names = "--tls-secret",
        description =
            "Specify an existing secret that contains a TLS private key and certificate to secure"
                + " ingress")
    String tlsSecret;

    Write(Cli cli, boolean create) {
      super(cli, KIND, create);
    }

    abstract String gateway();

    @Override
    void validate() {
      require(functionName, "You must specify a function name (--function-name)");
      if (Boolean.TRUE.equals(enableTlsAcme) && given(tlsSecret)) {
        throw usage("Cannot specify both --enableTLSAcme and --tls-secret");
      }
      if (given(gateway()) && !GATEWAYS.contains(gateway())) {
        throw usage(
            "Unsupported gateway %s: use one of %s"
                .formatted(gateway(), String.join(", ", GATEWAYS)));
      }
    }

    @Override
    void apply(HTTPTrigger trigger) {
      var s = trigger.getSpec();
      if (given(functionName)) {
        s.setFunctionName(functionName);
      }
      if (given(path)) {
        s.setPath(path);
      }
      if (given(gateway())) {
        s.setGateway(gateway());
      }
      if (given(hostname)) {
        s.setHostName(hostname);
      } else if (create
          && local.isEmpty()
          && !List.of("builtin", "gateway-api").contains(gateway())) {
        // local mode's gateway and the cluster's own gateways answer on any host without one
        s.setHostName(defaultHostname());
      }
      if (enableTlsAcme != null) {
        s.setTls(enableTlsAcme);
        if (enableTlsAcme) {
          s.setTlsSecret(null);
        }
      }
      if (given(tlsSecret)) {
        s.setTlsSecret(tlsSecret);
        s.setTls(false);
      }
      if (given(basicAuthSecret)) {
        s.setBasicAuthSecret(basicAuthSecret);
      }
    }

    /**
     * Kubeless's default for nginx: {@code <function>.<IP>.nip.io}, the IP being the API server's
     * (its address, resolved when it is a name); traefik and kong need --hostname.
     */
    private String defaultHostname() {
      if ("nginx".equals(gateway())) {
        String host = URI.create(cli.client().getMasterUrl().toString()).getHost();
        String ip = host == null ? null : ipv4(host);
        if (ip != null) {
          return functionName + "." + ip + ".nip.io";
        }
      }
      throw usage("The --hostname flag is required");
    }

    private static String ipv4(String host) {
      if (IPV4.matcher(host).matches()) {
        return host;
      }
      try {
        for (InetAddress address : InetAddress.getAllByName(host)) {
          if (address instanceof java.net.Inet4Address) {
            return address.getHostAddress();
          }
        }
      } catch (java.net.UnknownHostException e) {
        // no address: --hostname is required
      }
      return null;
    }

    @Override
    void checkReferences(HTTPTrigger trigger, String namespace) {
      if (given(functionName)) {
        checkFunction(functionName, namespace);
      }
    }
  }

  @Command(name = "create", description = "Create a http trigger", mixinStandardHelpOptions = true)
  static final class Create extends Write {

    @Option(
        names = "--gateway",
        defaultValue = "nginx",
        description =
            "Specify a valid gateway for the Ingress. Supported: nginx, traefik, kong, gateway-api,"
                + " builtin (default: ${DEFAULT-VALUE})")
    String gateway;

    @Option(
        names = "--cors-enable",
        description = "If true then cors will be enabled on Http Trigger")
    boolean corsEnable;

    Create(Cli cli) {
      super(cli, true);
    }

    @Override
    String gateway() {
      return gateway;
    }

    @Override
    void apply(HTTPTrigger trigger) {
      super.apply(trigger);
      trigger.getSpec().setCorsEnable(corsEnable);
      if (trigger.getSpec().getTls() == null) {
        trigger.getSpec().setTls(false);
      }
    }
  }

  @Command(name = "update", description = "Update a http trigger", mixinStandardHelpOptions = true)
  static final class Update extends Write {

    @Option(
        names = "--gateway",
        description =
            "Specify a valid gateway for the Ingress. Supported: nginx, traefik, kong, gateway-api,"
                + " builtin")
    String gateway;

    Update(Cli cli) {
      super(cli, false);
    }

    @Override
    String gateway() {
      return gateway;
    }
  }

  @Command(name = "delete", description = "Delete a HTTP trigger", mixinStandardHelpOptions = true)
  static final class Delete extends Triggers.Delete<HTTPTrigger> {
    Delete(Cli cli) {
      super(cli, KIND);
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "list all HTTP triggers deployed to Kubeless",
      mixinStandardHelpOptions = true)
  static final class ListHttp extends Triggers.ListTriggers<HTTPTrigger> {
    ListHttp(Cli cli) {
      super(cli, KIND);
    }
  }
}
