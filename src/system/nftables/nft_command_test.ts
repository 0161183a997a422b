import assert from "node:assert/strict";
import {
  explainNftFailure,
  NFT_NEEDS_CAP_NET_ADMIN,
  NFT_NOT_FOUND,
  nftCommandLine,
} from "./nft_command.ts";

Deno.test("nft runs directly, or through ip netns exec with the namespace as one argument", () => {
  assert.deepEqual(nftCommandLine(["-f", "-"]), { program: "nft", args: ["-f", "-"] });
  assert.deepEqual(nftCommandLine(["list", "tables"], "bt-nft-1"), {
    program: "ip",
    args: ["netns", "exec", "bt-nft-1", "nft", "list", "tables"],
  });
});

Deno.test("a namespace name that is not a plain name is refused", () => {
  for (const bad of ["", "../etc", "a b", "x;rm"]) {
    assert.throws(() => nftCommandLine(["list", "tables"], bad), RangeError, bad);
  }
});

Deno.test("a permission failure says CAP_NET_ADMIN is needed", () => {
  const stderr = "netlink: Error: cache initialization failed: Operation not permitted\n";
  assert.equal(explainNftFailure(1, stderr), NFT_NEEDS_CAP_NET_ADMIN);
  assert.match(NFT_NEEDS_CAP_NET_ADMIN, /needs CAP_NET_ADMIN/);
});

Deno.test("a missing nft inside a namespace says what to install", () => {
  const stderr = 'exec of "nft" failed: No such file or directory\n';
  assert.equal(explainNftFailure(255, stderr), NFT_NOT_FOUND);
  assert.equal(
    NFT_NOT_FOUND,
    "nft not found: install nftables (apt install nftables / opkg install nftables)",
  );
});

Deno.test("other failures keep nft's own first lines and the exit code", () => {
  const stderr = "Error: Could not process rule: No such file or directory\n" +
    "delete table inet bond\n                  ^^^^\n";
  assert.equal(
    explainNftFailure(1, stderr),
    "nft failed (exit 1): Error: Could not process rule: No such file or directory | " +
      "delete table inet bond |                   ^^^^",
  );
  assert.equal(explainNftFailure(2, ""), "nft failed (exit 2): no error output");
});
