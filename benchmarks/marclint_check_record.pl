#!/usr/bin/perl
# MARC::Lint's own checking, timed apart from reading (issue #12 asks for MARC::Lint itself, not
# the marclint program, whose output costs dominate):
#
#   perl benchmarks/marclint_check_record.pl FILE.mrc
#
# reads FILE with MARC::Batch (USMARC, strict and warnings off, as marclint reads), calls
# MARC::Lint->check_record on each record and prints, tab-separated: records, warnings found,
# seconds spent inside check_record, seconds for the whole loop (reading included), and records
# per second of check_record alone. Debian: libmarc-lint-perl.
use strict;
use warnings;
use MARC::Batch;
use MARC::Lint;
use Time::HiRes qw(time);

my $file = shift or die "usage: $0 FILE.mrc\n";
my $batch = MARC::Batch->new('USMARC', $file);
$batch->strict_off();
$batch->warnings_off();
my $lint = MARC::Lint->new();
my ($records, $warnings, $checking) = (0, 0, 0.0);
my $start = time;
while (my $record = $batch->next()) {
  my $before = time;
  $lint->check_record($record);
  $checking += time - $before;
  $warnings += scalar($lint->warnings());
  ++$records;
}
my $total = time - $start;
printf "records\t%d\nwarnings\t%d\ncheck_record_s\t%.3f\ntotal_s\t%.3f\ncheck_record_per_s\t%.0f\n", $records, $warnings,
  $checking, $total, $checking > 0 ? $records / $checking : 0;
