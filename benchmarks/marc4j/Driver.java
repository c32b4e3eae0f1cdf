// marc4j comparison driver: reads every record of an ISO 2709 file and counts them.
//
//   java -cp /usr/share/java/marc4j.jar:CLASSDIR Driver FILE [stream|marc8|permissive]
//
// stream      MarcStreamReader(in): builds marc4j's full Record objects; leader/09 'a' values are
//             decoded as UTF-8 (comparable to MarcScope's "decode" mode on the UTF-8 corpus).
// marc8       MarcStreamReader(in, "MARC-8"): every value converted MARC-8 -> UTF-8 with marc4j's
//             AnselToUnicode (comparable to "decode" on the MARC-8 corpus). The default stream
//             mode reads records whose leader/09 is blank as ISO-8859-1, without converting.
// permissive  MarcPermissiveStreamReader(in, true, true): permissive reading with MARC-8 -> UTF-8
//             conversion (much slower: it checks and repairs each record).
//
// Prints one key=value line. wall_s is measured inside the JVM (no JVM start-up); the caller
// measures the whole process as well.
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import org.marc4j.MarcPermissiveStreamReader;
import org.marc4j.MarcReader;
import org.marc4j.MarcStreamReader;
import org.marc4j.marc.Record;

public class Driver {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Driver FILE [stream|marc8|permissive]");
            System.exit(2);
        }
        String mode = args.length > 1 ? args[1] : "stream";
        long t0 = System.nanoTime();
        long records = 0, fields = 0;
        try (InputStream in = new BufferedInputStream(new FileInputStream(args[0]), 1 << 20)) {
            MarcReader reader;
            if (mode.equals("permissive")) reader = new MarcPermissiveStreamReader(in, true, true);
            else if (mode.equals("marc8")) reader = new MarcStreamReader(in, "MARC-8");
            else if (mode.equals("stream")) reader = new MarcStreamReader(in);
            else throw new IllegalArgumentException("unknown mode " + mode);
            while (reader.hasNext()) {
                Record r = reader.next();
                fields += r.getVariableFields().size();
                ++records;
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        long bytes = new java.io.File(args[0]).length();
        System.out.printf("tool=marc4j-%s records=%d bytes=%d wall_s=%.6f rec_per_s=%.0f mb_per_s=%.1f check=%d%n",
                          mode, records, bytes, wall, records / wall, bytes / wall / 1e6, fields);
    }
}
