package io.kubeless.function.runtime;

import io.kubeless.function.config.FunctionControllerConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A controller configuration for unit tests, with the same runtimes as the shipped defaults. */
public final class TestingCatalogues {

  private TestingCatalogues() {}

  public static Map<String, Runtime> defaults() {
    return Map.of(
        "python3.12", runtime("python3.12", "reg/runtime-python:3.12", "requirements.txt", ".py"),
        "nodejs20", runtime("nodejs20", "reg/runtime-nodejs:20", "package.json", ".js"),
        "java21", runtime("java21", "reg/runtime-java:21", "pom.xml", ".java"),
        "go1.26", runtime("go1.26", "reg/runtime-go:1.26", "go.mod", ".go"),
        "ruby3.4", runtime("ruby3.4", "reg/runtime-ruby:3.4", "Gemfile", ".rb"),
        "php8.4", runtime("php8.4", "reg/runtime-php:8.4", "composer.json", ".php"));
  }

  private static Runtime runtime(String id, String image, String deps, String suffix) {
    return new Runtime(id, image, Optional.of(deps), suffix, Optional.of("/opt/kubeless/install"));
  }

  /** Configuration with the given ConfigMap size limit and no provision image. */
  public static FunctionControllerConfig config(int maxConfigMapBytes) {
    return new FunctionControllerConfig() {
      @Override
      public Map<String, RuntimeEntry> runtimes() {
        return Map.of();
      }

      @Override
      public String imageRegistry() {
        return "reg";
      }

      @Override
      public Catalogue catalogue() {
        return new Catalogue() {
          @Override
          public String namespace() {
            return "kubeless";
          }

          @Override
          public String name() {
            return "kubeless-runtimes";
          }

          @Override
          public String key() {
            return "runtimes.yaml";
          }
        };
      }

      @Override
      public Optional<String> provisionImage() {
        return Optional.empty();
      }

      @Override
      public String clusterDomain() {
        return "cluster.local";
      }

      @Override
      public java.time.Duration conflictRecheck() {
        return java.time.Duration.ofSeconds(1);
      }

      @Override
      public java.util.Set<String> adoptedFieldManagers() {
        return java.util.Set.of("kubeless-function-controller", "before-first-apply");
      }

      @Override
      public int maxConfigMapBytes() {
        return maxConfigMapBytes;
      }

      @Override
      public Policy policy() {
        return defaultPolicy();
      }
    };
  }

  /** The shipped policy: ClusterIP Services, restricted pods, the default ServiceAccount. */
  public static FunctionControllerConfig.Policy defaultPolicy() {
    return new FunctionControllerConfig.Policy() {
      @Override
      public List<String> serviceTypes() {
        return List.of("ClusterIP");
      }

      @Override
      public boolean externalIps() {
        return false;
      }

      @Override
      public FunctionControllerConfig.PodSecurityLevel podSecurity() {
        return FunctionControllerConfig.PodSecurityLevel.RESTRICTED;
      }

      @Override
      public List<String> serviceAccounts() {
        return List.of("default");
      }

      @Override
      public boolean secrets() {
        return true;
      }

      @Override
      public Map<String, FunctionControllerConfig.NamespacePolicy> namespaces() {
        return Map.of();
      }
    };
  }

  public static FunctionControllerConfig config() {
    return config(1_000_000);
  }
}
