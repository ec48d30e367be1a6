package io.kubeless.function.runtime;

import java.util.Optional;

/**
 * One entry of the runtime catalogue.
 *
 * @param id the runtime id functions name in {@code spec.runtime}
 * @param image the function container image
 * @param depsFile name of the dependency file, if the runtime installs dependencies
 * @param fileSuffix suffix of the code file
 * @param installCommand command that installs the dependency file into the install volume
 */
public record Runtime(
    String id,
    String image,
    Optional<String> depsFile,
    String fileSuffix,
    Optional<String> installCommand) {}
