// Drives Baidu's unmodified Java SDK (com.baidu.aip.face.AipFace) through the doc's calls and
// prints each reply as one line "<label>\t<json>" for tests/test_java_sdk.py to check. The SDK
// reaches https://aip.baidubce.com by its compiled-in name: the JVM running this is given a
// hosts file and a trust store that send that name to faceedge serve on this machine.
import com.baidu.aip.face.AipFace;
import com.baidu.aip.face.FaceVerifyRequest;
import com.baidu.aip.face.MatchRequest;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import org.json.JSONObject;

public class SdkDriver {
  private static String photo(String dir, String name) throws Exception {
    return Base64.getEncoder().encodeToString(Files.readAllBytes(Paths.get(dir, name)));
  }

  private static void show(String label, JSONObject reply) {
    System.out.println(label + "\t" + reply.toString());
  }

  private static HashMap<String, String> opts(String... kv) {
    HashMap<String, String> map = new HashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) map.put(kv[i], kv[i + 1]);
    return map;
  }

  public static void main(String[] args) throws Exception {
    String dir = args[0];
    AipFace client = new AipFace("faceedge-app", args[1], args[2]);
    client.setConnectionTimeoutInMillis(20000);
    client.setSocketTimeoutInMillis(120000);
    String obama = photo(dir, "faces/obama_1.jpg");
    String obama2 = photo(dir, "faces/obama_2.jpg");
    String biden = photo(dir, "faces/biden_1.jpg");
    String group = photo(dir, "groups/obama_and_biden.jpg");
    String live = photo(dir, "liveness/live_T1.jpg");

    show("detect", client.detect(obama, "BASE64", opts(
        "face_field", "age,beauty,expression,face_shape,gender,glasses,landmark,landmark150,"
            + "quality,eye_status,emotion,face_type,mask,spoofing", "max_face_num", "1")));
    show("detect_group", client.detect(group, "BASE64", opts("max_face_num", "10")));
    show("groupAdd", client.groupAdd("java_gate", opts()));
    show("groupAdd_again", client.groupAdd("java_gate", opts()));
    show("groupAdd_other", client.groupAdd("java_other", opts()));
    show("addUser_obama", client.addUser(obama, "BASE64", "java_gate", "obama",
        opts("user_info", "44th")));
    show("addUser_biden", client.addUser(biden, "BASE64", "java_gate", "biden", opts()));
    show("addUser_obama2", client.addUser(obama2, "BASE64", "java_gate", "obama",
        opts("user_info", "44th")));
    show("updateUser", client.updateUser(biden, "BASE64", "java_gate", "biden",
        opts("action_type", "UPDATE", "user_info", "46th")));
    show("getUser", client.getUser("obama", "java_gate", opts()));
    show("faceGetlist", client.faceGetlist("obama", "java_gate", opts()));
    show("getGroupUsers", client.getGroupUsers("java_gate", opts()));
    show("getGroupList", client.getGroupList(opts("start", "0", "length", "100")));
    show("userCopy", client.userCopy("biden", opts("src_group_id", "java_gate",
        "dst_group_id", "java_other")));
    show("userCopy_again", client.userCopy("biden", opts("src_group_id", "java_gate",
        "dst_group_id", "java_other")));
    show("search", client.search(obama2, "BASE64", "java_gate", opts("max_user_num", "2")));
    show("multiSearch", client.multiSearch(group, "BASE64", "java_gate",
        opts("max_face_num", "3", "match_threshold", "70")));
    List<MatchRequest> same = new ArrayList<>();
    same.add(new MatchRequest(obama, "BASE64"));
    same.add(new MatchRequest(obama2, "BASE64"));
    show("match_same", client.match(same));
    List<MatchRequest> different = new ArrayList<>();
    different.add(new MatchRequest(obama, "BASE64"));
    different.add(new MatchRequest(biden, "BASE64"));
    show("match_different", client.match(different));
    List<FaceVerifyRequest> verify = new ArrayList<>();
    verify.add(new FaceVerifyRequest(live, "BASE64", "age,beauty,spoofing"));
    show("faceverify", client.faceverify(verify));
    String token = new JSONObject(client.faceGetlist("biden", "java_gate", opts()).toString())
        .getJSONObject("result").getJSONArray("face_list").getJSONObject(0)
        .getString("face_token");
    show("faceDelete", client.faceDelete("biden", "java_gate", token, opts()));
    show("deleteUser", client.deleteUser("java_gate", "obama", opts()));
    show("getUser_deleted", client.getUser("obama", "java_gate", opts()));
    show("groupDelete", client.groupDelete("java_other", opts()));
    show("detect_missing_image", client.detect("", "BASE64", opts()));
  }
}
