import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The repository the Checkout tests serve, built with git in one bash process:
 * - `main`: `initial` (the application), 60 empty commits, then `recent`, then `tip` (which changes README.md
 *   and adds symlinks that stay inside the tree, one through another: `docs/deep/readme -> ../../README.md`,
 *   `current -> docs`, `chained -> current/deep/readme`); `initial` is more than 50 commits below the tip, so
 *   finding it needs a deeper fetch;
 * - `refs/pull/1/merge`: `prMerge`, the merge of `tip` and `prFeature` (a commit only that ref reaches);
 * - `other`: `other`, a commit branched from `initial`, on no other ref;
 * - `links-out`: a commit on top of `tip` adding a symlink to /etc/passwd and one escaping with `../../..`;
 * - `lfs`: a commit on top of `tip` whose `.gitattributes` puts `*.bin` in Git LFS, with the pointer of
 *   `assets/model.bin` (its content, `lfsContent`, is served by the test's LFS server under `lfsOid`).
 */
export interface GitFixture {
  /** Bare repository to serve, at `<projectRoot><REPO_PATH>`. */
  readonly projectRoot: string;
  readonly commits: Record<'initial' | 'recent' | 'tip' | 'prMerge' | 'prFeature' | 'other', string> &
    Record<'linksOut' | 'lfs', string>;
  readonly readme: { readonly initial: string; readonly tip: string };
  readonly lfsOid: string;
  readonly lfsContent: Buffer;
}

export const REPO_PATH = '/my-org/Finance/_git/cash-collection';

const SCRIPT = String.raw`set -euo pipefail
work="$FIXTURE_DIR/work"
git init --quiet --initial-branch=main "$work"
cd "$work"
commit() { git -c commit.gpgsign=false commit --quiet "$@"; }
printf '%s' "$README_INITIAL" >README.md
printf 'FROM public.ecr.aws/docker/library/node:22-alpine\nCOPY . /app\nCMD ["node", "/app/server.js"]\n' >Dockerfile
printf 'require("node:http").createServer((q, s) => s.end("ok")).listen(8080);\n' >server.js
git add --all
commit --message 'Example application'
echo "initial=$(git rev-parse HEAD)"
# 60 empty commits in one process.
for i in $(seq 1 61); do
  message="Empty change $i"
  if ((i == 61)); then message='Recent change'; fi
  printf 'commit refs/heads/main\nmark :%d\ncommitter Berth Test <test@example.com> %d +0000\ndata <<EOM\n%s\nEOM\n' \
    "$i" "$((1700000000 + i))" "$message"
  if ((i == 1)); then printf 'from %s\n' "$(git rev-parse HEAD)"; else printf 'from :%d\n' "$((i - 1))"; fi
  printf '\n'
done | git fast-import --quiet

echo "recent=$(git rev-parse HEAD)"
printf '%s' "$README_TIP" >README.md
mkdir -p docs/deep
ln -s ../../README.md docs/deep/readme
ln -s docs current
ln -s current/deep/readme chained
git add README.md docs current chained
commit --message 'Move main on'
tip="$(git rev-parse HEAD)"
echo "tip=$tip"

git checkout --quiet -b feature
printf 'a feature under review\n' >FEATURE.md
git add FEATURE.md
commit --message 'Feature under review'
echo "prFeature=$(git rev-parse HEAD)"
git checkout --quiet --detach "$tip"
git -c commit.gpgsign=false merge --quiet --no-ff --no-edit -m 'Merge pull request 1 into main' feature
pr_merge="$(git rev-parse HEAD)"
echo "prMerge=$pr_merge"

git checkout --quiet -b other "$(git rev-list --max-parents=0 "$tip")"
printf 'not on main\n' >OTHER.md
git add OTHER.md
commit --message 'Only on another branch'
echo "other=$(git rev-parse HEAD)"

branch_on_tip() { git checkout --quiet -b "$1" "$tip"; }
branch_on_tip links-out
ln -s /etc/passwd passwd
mkdir -p docs/deep
ln -s ../../../outside docs/deep/escape
git add passwd docs
commit --message 'Links out of the repository'
echo "linksOut=$(git rev-parse HEAD)"

branch_on_tip lfs
mkdir -p assets
printf '*.bin filter=lfs diff=lfs merge=lfs -text\n' >.gitattributes
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' "$LFS_OID" "$LFS_SIZE" >assets/model.bin
git add .gitattributes assets
commit --message 'A model in Git LFS'
echo "lfs=$(git rev-parse HEAD)"

git checkout --quiet main
served="$FIXTURE_DIR/served$REPO_PATH"
mkdir -p "$(dirname "$served")"
git clone --quiet --bare "$work" "$served"
git -C "$served" update-ref refs/pull/1/merge "$pr_merge"
git -C "$served" update-ref -d refs/heads/feature
`;

/** Builds the fixture under `dir` (a fresh folder). About 0.3 s. */
export function buildGitFixture(dir: string): GitFixture {
  mkdirSync(dir, { recursive: true });
  const readme = {
    initial: '# Cash collection\n\nThe pinned release.\n',
    tip: '# Cash collection\n\nThe pinned release.\n\nThis line came after it.\n',
  };
  const lfsContent = Buffer.concat([Buffer.from('berth test model\n'), randomBytes(2048)]);
  const lfsOid = createHash('sha256').update(lfsContent).digest('hex');
  const out = execFileSync('bash', ['-c', SCRIPT], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      LANG: 'C.UTF-8',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Berth Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Berth Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      FIXTURE_DIR: dir,
      REPO_PATH,
      README_INITIAL: readme.initial,
      README_TIP: readme.tip,
      LFS_OID: lfsOid,
      LFS_SIZE: String(lfsContent.length),
    },
  });
  const commits = Object.fromEntries(
    out
      .split('\n')
      .filter((l) => /^\w+=[0-9a-f]{40}$/.test(l))
      .map((l) => l.split('=') as [string, string]),
  ) as GitFixture['commits'];
  return { projectRoot: path.join(dir, 'served'), commits, readme, lfsOid, lfsContent };
}
