export { resolveToolchain, toolchainDir, type ResolvedToolchain } from "./resolve.js";
