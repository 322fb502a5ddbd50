import { describe, expect, it } from "vitest";
import {
  actionMatches,
  arnMatches,
  cidrContains,
  cidrsOverlap,
  escapeWildcard,
  expandS3Actions,
  ipInCidr,
  isPrivateRange,
  isS3Action,
  matchesWildcard,
  overlapsPrivateRange,
  parseArn,
  parseCidr,
  parseIp,
  parseS3Arn,
  s3ResourceLevel,
  S3_BUCKET_ACTIONS,
  S3_OBJECT_ACTIONS,
} from "../../src/core/iam/index.js";

describe("matchesWildcard", () => {
  it.each([
    ["*", "", true],
    ["*", "anything at all", true],
    ["a*c", "abbbc", true],
    ["a*c", "ac", true],
    ["a*c", "abd", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["a.c", "abc", false],
    ["(x)+[y]", "(x)+[y]", true],
    ["line*", "line1\nline2", true],
    ["a${*}c", "a*c", true],
    ["a${*}c", "abc", false],
    ["${$}{x}", "${x}", true],
    ["${aws:username}", "${aws:username}", true],
  ])("%j matches %j: %s", (pattern, value, expected) => {
    expect(matchesWildcard(pattern, value)).toBe(expected);
  });

  it("is case-sensitive unless asked otherwise", () => {
    expect(matchesWildcard("Bucket*", "bucket-1")).toBe(false);
    expect(matchesWildcard("Bucket*", "bucket-1", { caseInsensitive: true })).toBe(true);
    expect(matchesWildcard("ABC", "abc", { caseInsensitive: true })).toBe(true);
  });

  it("escapeWildcard makes a pattern that matches only the literal", () => {
    const literal = "we?ird*${x}$";
    expect(matchesWildcard(escapeWildcard(literal), literal)).toBe(true);
    expect(matchesWildcard(escapeWildcard(literal), "weXird*${x}$")).toBe(false);
  });
});

describe("actions", () => {
  it("matches case-insensitively with wildcards", () => {
    expect(actionMatches("s3:GetObject", "S3:getobject")).toBe(true);
    expect(actionMatches("s3:Get*", "s3:GetObjectVersion")).toBe(true);
    expect(actionMatches("s3:Get*", "s3:PutObject")).toBe(false);
    expect(actionMatches("s3:?etObject", "s3:GetObject")).toBe(true);
    expect(actionMatches("*", "ec2:DescribeInstances")).toBe(true);
    expect(actionMatches("s3:*", "s3express:CreateSession")).toBe(false);
  });

  it("recognises S3 actions", () => {
    expect(isS3Action("s3:GetObject")).toBe(true);
    expect(isS3Action("S3:*")).toBe(true);
    expect(isS3Action("*")).toBe(true);
    expect(isS3Action("s*:Get*")).toBe(true);
    expect(isS3Action("ec2:DescribeInstances")).toBe(false);
    expect(isS3Action("s3express:CreateSession")).toBe(false);
  });

  it("knows object-level and bucket-level actions", () => {
    for (const action of [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObjectVersion",
      "s3:AbortMultipartUpload",
      "s3:RestoreObject",
      "s3:GetObjectAttributes",
    ]) {
      expect(S3_OBJECT_ACTIONS).toContain(action);
      expect(s3ResourceLevel(action.toLowerCase())).toBe("object");
    }
    for (const action of [
      "s3:ListBucket",
      "s3:GetBucketLocation",
      "s3:PutBucketPolicy",
      "s3:CreateBucket",
      "s3:GetLifecycleConfiguration",
    ]) {
      expect(S3_BUCKET_ACTIONS).toContain(action);
      expect(s3ResourceLevel(action)).toBe("bucket");
    }
    expect(S3_OBJECT_ACTIONS.filter((action) => S3_BUCKET_ACTIONS.includes(action))).toEqual([]);
    expect(s3ResourceLevel("s3:ListAllMyBuckets")).toBeUndefined();
    expect(expandS3Actions("s3:GetObjectT*")).toEqual(["s3:GetObjectTagging", "s3:GetObjectTorrent"]);
  });
});

describe("ARNs", () => {
  it("parses ARNs and S3 bucket/object ARNs", () => {
    expect(parseArn("arn:aws:s3:::bucket/a:b")).toEqual({
      partition: "aws",
      service: "s3",
      region: "",
      account: "",
      resource: "bucket/a:b",
    });
    expect(parseArn("arn:aws:s3")).toBeUndefined();
    expect(parseArn("bucket")).toBeUndefined();
    expect(parseS3Arn("arn:aws:s3:::bucket")).toEqual({ partition: "aws", bucket: "bucket" });
    expect(parseS3Arn("arn:aws-cn:s3:::bucket/dir/key.txt")).toEqual({ partition: "aws-cn", bucket: "bucket", key: "dir/key.txt" });
    expect(parseS3Arn("arn:aws:s3:::bucket/")).toEqual({ partition: "aws", bucket: "bucket", key: "" });
    expect(parseS3Arn("arn:aws:s3:us-east-1:123456789012:accesspoint/ap")).toBeUndefined();
    expect(parseS3Arn("arn:aws:ec2:::x")).toBeUndefined();
    expect(parseS3Arn("arn:aws:s3:::")).toBeUndefined();
  });

  it.each([
    ["*", "arn:aws:s3:::b/k", true],
    ["arn:aws:s3:::b", "arn:aws:s3:::b", true],
    ["arn:aws:s3:::b", "arn:aws:s3:::b/k", false],
    ["arn:aws:s3:::b/*", "arn:aws:s3:::b/k/deeper:with:colons", true],
    ["arn:aws:s3:::b/*", "arn:aws:s3:::b", false],
    ["arn:aws:s3:::B/*", "arn:aws:s3:::b/k", false],
    ["arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::packages.us-east-1.amazonaws.com/repo.rpm", true],
    ["arn:aws:s3:::b?/k", "arn:aws:s3:::b1/k", true],
    ["arn:*:s3:::b", "arn:aws-cn:s3:::b", true],
    ["arn:aws:s3:::*", "arn:aws:s3:::anything/at/all", true],
    ["arn:aws:s3:*", "arn:aws:s3:::b/k", true],
    ["arn:aws:s3", "arn:aws:s3:::b", false],
    ["arn:aws:s?:::b", "arn:aws:s3:::b", true],
    ["arn:aws:iam::12?:role/x", "arn:aws:iam::123456789012:role/x", false],
  ])("%s matches %s: %s", (pattern, arn, expected) => {
    expect(arnMatches(pattern, arn)).toBe(expected);
  });
});

describe("IP addresses and CIDRs", () => {
  it("parses IPv4 and IPv6 addresses", () => {
    expect(parseIp("10.1.2.3")).toEqual({ version: 4, value: 0x0a010203n });
    expect(parseIp("::1")).toEqual({ version: 6, value: 1n });
    expect(parseIp("2001:db8::")).toEqual({ version: 6, value: 0x20010db8n << 96n });
    expect(parseIp("::ffff:192.0.2.1")?.value).toBe((0xffffn << 32n) | 0xc0000201n);
    for (const bad of ["256.1.1.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", ""]) {
      expect(parseIp(bad)).toBeUndefined();
    }
  });

  it("parses CIDRs, clearing host bits, and rejects bad prefixes", () => {
    expect(parseCidr("10.1.2.3/8")).toEqual({ version: 4, network: 0x0a000000n, prefix: 8 });
    expect(parseCidr("192.0.2.1")).toEqual({ version: 4, network: 0xc0000201n, prefix: 32 });
    expect(parseCidr("2001:db8::/32")?.prefix).toBe(32);
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("::/129")).toBeUndefined();
    expect(parseCidr("10.0.0.0/x")).toBeUndefined();
  });

  it("hands out one frozen block per text, and still parses right once the kept blocks are evicted", () => {
    const first = parseCidr("10.1.2.3/8");
    expect(parseCidr("10.1.2.3/8")).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    // 20,000 distinct texts (about 300 KB) are more than the kept blocks hold: each is still read right.
    for (let i = 0; i < 20_000; i++) {
      const text = `10.${(i >> 8) & 255}.${i & 255}.0/${16 + (i % 17)}`;
      const prefix = 16 + (i % 17);
      const address = (10n << 24n) | (BigInt((i >> 8) & 255) << 16n) | (BigInt(i & 255) << 8n);
      const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(32 - prefix);
      expect(parseCidr(text)).toEqual({ version: 4, network: address & mask, prefix });
    }
    expect(parseCidr("10.1.2.3/8")).toEqual({ version: 4, network: 0x0a000000n, prefix: 8 });
    // Text past the length kept is parsed each time, as before.
    const padded = `${" ".repeat(80)}192.0.2.1`;
    expect(parseCidr(padded)).toEqual({ version: 4, network: 0xc0000201n, prefix: 32 });
  });

  it("tests membership and overlap", () => {
    expect(ipInCidr("10.200.0.1", "10.0.0.0/8")).toBe(true);
    expect(ipInCidr("11.0.0.1", "10.0.0.0/8")).toBe(false);
    expect(ipInCidr("2001:db8::5", "2001:db8::/64")).toBe(true);
    expect(ipInCidr("10.0.0.1", "::/0")).toBe(false);
    expect(ipInCidr("vpce-1", "0.0.0.0/0")).toBe(false);
    expect(ipInCidr("1.2.3.4", "0.0.0.0/0")).toBe(true);
    expect(cidrsOverlap("10.0.0.0/8", "10.20.0.0/16")).toBe(true);
    expect(cidrsOverlap("10.20.0.0/16", "10.0.0.0/8")).toBe(true);
    expect(cidrsOverlap("10.0.0.0/16", "10.1.0.0/16")).toBe(false);
    expect(cidrsOverlap("10.0.0.0/8", "::/0")).toBe(false);
    expect(cidrContains("10.0.0.0/8", "10.1.0.0/16")).toBe(true);
    expect(cidrContains("10.1.0.0/16", "10.0.0.0/8")).toBe(false);
  });

  it.each([
    ["10.1.0.0/16", true, true],
    ["172.16.5.0/24", true, true],
    ["172.32.0.0/16", false, false],
    ["192.168.1.1", true, true],
    ["100.64.0.0/10", true, true],
    ["100.128.0.0/10", false, false],
    ["fd00::/8", true, true],
    ["fe80::1", true, true],
    ["203.0.113.0/24", false, false],
    ["0.0.0.0/0", false, true],
    ["garbage", false, false],
  ])("%s is private: %s, overlaps private: %s", (cidr, isPrivate, overlaps) => {
    expect(isPrivateRange(cidr)).toBe(isPrivate);
    expect(overlapsPrivateRange(cidr)).toBe(overlaps);
  });
});
