import { EXIT } from '../exit-codes.js';
import type { KsegCommand } from '../program.js';
import { groups, type GroupsReport } from '../../ops/groups.js';
import { toJson } from '../output.js';
import { theme } from '../theme.js';
import { FitTable, fitText } from '../table-fit.js';
import { count } from '../plural.js';
import { isoTime } from '../time.js';
import { resolveArchiveArgs } from '../../storage/archive.js';
import { s3Options } from '../options.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function register(program: KsegCommand): void {
  program
    .command('groups')
    .description('consumer groups as of the end of __consumer_offsets: type (classic, consumer, share, streams), state, generation/epoch, protocol, members')
    .argument('<path...>', 'broker log dir (every __consumer_offsets-N in it) or __consumer_offsets-N directories')
    .option('--group <id>', 'only this group (repeatable)', collect)
    .option('--members', "list each group's members (client id, host, subscriptions, assignment)")
    .option('--all', 'include deleted (Dead) groups')
    .with(s3Options())
    .option('--json', 'one JSON object (README, "JSON contract")')
    .addHelpText(
      'after',
      `
Examples:
  kseg groups /var/lib/kafka/data
  kseg groups /var/lib/kafka/data --group payments-consumer --members
  kseg groups /var/lib/kafka/data --json | jq '.groups[] | {group, state, members: (.members | length)}'`,
    )
    .action((paths: string[], flags: { group?: string[]; members?: boolean; all?: boolean; json?: boolean }) => {
      const r = groups(resolveArchiveArgs(paths, { allowLogDir: true }), { groups: flags.group, includeDead: flags.all });
      for (const p of r.problems)
        process.stderr.write(`kseg: note: ${p.message} (${p.file}${p.position >= 0 ? ` at byte ${p.position}` : ''}${p.offset >= 0 ? `, offset ${p.offset}` : ''})\n`);
      process.stdout.write(flags.json ? toJson(r) + '\n' : fitText(renderGroups(r, !!flags.members)));
      if (flags.group?.length && r.groups.length === 0) {
        process.stderr.write(`kseg: note: no such group in ${count(r.partitions.length, '__consumer_offsets partition')} read\n`);
        return EXIT.notFound;
      }
    });
}

export function renderGroups(r: GroupsReport, members: boolean): string {
  const out: string[] = [`${count(r.partitions.length, '__consumer_offsets partition')} read; ${count(r.groups.length, 'group')}`];
  if (r.groups.length) {
    const t = new FitTable(['group', 'type', 'protocol type', 'state', 'generation', 'protocol', 'members', 'offsets', 'partition', 'last record']);
    for (const g of r.groups) {
      t.push([
        g.group,
        g.type,
        g.protocolType ?? '-',
        g.state === 'Dead' ? theme.bad(g.state) : g.state,
        g.generation === null ? '-' : String(g.generation),
        g.protocol ?? '-',
        String(g.members.length),
        `${g.committedOffsets}${g.pendingTransactionalOffsets ? ` (+${g.pendingTransactionalOffsets} pending)` : ''}`,
        g.partitionDir,
        `${g.lastRecordOffset} ${g.lastRecordTimestamp >= 0 ? isoTime(g.lastRecordTimestamp) : ''}`,
      ]);
    }
    out.push(t.toString());
  }
  if (members) {
    for (const g of r.groups) {
      if (!g.members.length) continue;
      out.push('', `${theme.bold(g.group)}${g.leader ? ` (leader ${g.leader})` : ''}:`);
      for (const m of g.members) {
        const sub = m.subscribedTopics ? m.subscribedTopics.join(',') : '?';
        const asg = m.assignment ? m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') : '?';
        out.push(
          `  ${m.memberId}${m.groupInstanceId ? ` (static ${m.groupInstanceId})` : ''}  client ${m.clientId ?? '-'} ${m.clientHost ?? ''}${m.sessionTimeoutMs !== null ? `  session ${m.sessionTimeoutMs} ms` : ''}${m.memberEpoch != null ? `  epoch ${m.memberEpoch}` : ''}`,
        );
        out.push(`    subscribed: ${sub}${m.subscribedTopicRegex ? ` regex ${m.subscribedTopicRegex}` : ''}   assigned: ${asg || '-'}`);
      }
    }
  }
  return out.join('\n') + '\n';
}
