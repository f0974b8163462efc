// identifiers.mjs: the registry identifier rules shared by the functions and the seed tools.
import assert from "node:assert/strict";
import { casValid, inchikeySkeleton } from "./identifiers.mjs";

Deno.test("CAS check digit: the CPAs' numbers pass, a changed digit fails", () => {
  for (const cas of ["67-68-5", "56-81-5", "107-21-1", "57-55-6", "75-12-7", "60-35-5", "7732-18-5"]) {
    assert.ok(casValid(cas), cas);
  }
  for (const cas of ["67-68-4", "56-81-6", "107-21-2", "67685", "1-23-4", " 67-68-5", ""]) {
    assert.ok(!casValid(cas), cas);
  }
});

Deno.test("the skeleton is the first InChIKey block", () => {
  assert.equal(inchikeySkeleton("CZMRCDWAGMRECN-UGDNZRGBSA-N"), "CZMRCDWAGMRECN");
});
