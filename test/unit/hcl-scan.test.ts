import { describe, expect, it } from "vitest";
import { attributes, mask, plainString, topLevelBlocks } from "../../src/operations/hcl-scan.js";

const tf = `
# variable "commented" {}
/* variable "also_commented" { } */
variable "images" {
  type        = map(string)
  description = "braces { in strings } and = signs do not count, nor \\"escaped\\" quotes"
}

variable "state_passphrase" {
  type      = string
  sensitive = true
  validation {
    condition     = length(var.state_passphrase) >= 16
    error_message = "at least \${16} characters: {"
  }
}

variable "container" {
  type = object({
    min_scale = optional(number, 0)
    default   = optional(number, 1)
  })
  description = <<-EOT
    A heredoc with } and default = 3
  EOT
  default = {}
}

terraform {
  backend "s3" {
    bucket = "x"
  }
}

module "platform" {
  source = "../modules/evalap-platform"
}
`;

describe("reading OpenTofu files for the preflight", () => {
  it("finds top-level blocks and their labels, not those in comments", () => {
    const blocks = topLevelBlocks(tf);
    expect(blocks.map((b) => [b.type, ...b.labels])).toEqual([
      ["variable", "images"],
      ["variable", "state_passphrase"],
      ["variable", "container"],
      ["terraform"],
      ["module", "platform"],
    ]);
    const terraform = blocks.find((b) => b.type === "terraform");
    expect(topLevelBlocks(terraform?.body ?? "").map((b) => [b.type, ...b.labels])).toEqual([["backend", "s3"]]);
  });

  it("reads a body's own attributes, not those of nested blocks, object types or heredocs", () => {
    const [images, passphrase, container] = topLevelBlocks(tf);
    expect([...attributes(images?.body ?? "").keys()]).toEqual(["type", "description"]);
    expect(attributes(passphrase?.body ?? "").get("sensitive")).toBe("true");
    expect(attributes(passphrase?.body ?? "").has("condition")).toBe(false);
    expect([...attributes(container?.body ?? "").keys()]).toEqual(["type", "description", "default"]);
    const module = topLevelBlocks(tf).find((b) => b.type === "module");
    expect(plainString(attributes(module?.body ?? "").get("source"))).toBe("../modules/evalap-platform");
    expect(plainString('"x${var.y}"')).toBeNull();
  });

  it("masks without moving anything", () => {
    expect(mask(tf)).toHaveLength(tf.length);
    expect(mask('a = "x { y }" # z {').trimEnd()).toBe('a = "       "');
  });
});
